// Listens to a Server-Sent Events channel and lists each message; EventSource reconnects with Last-Event-ID itself.
const list = document.getElementById("live-messages");
if (list && "EventSource" in window) {
  const source = new EventSource(list.dataset.liveUrl);
  source.addEventListener("message", (event) => {
    const item = document.createElement("li");
    item.textContent = JSON.parse(event.data).text;
    item.dataset.eventId = event.lastEventId;
    list.appendChild(item);
  });
}
