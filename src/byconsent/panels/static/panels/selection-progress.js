// Selection result page while the task runs: poll its progress and update the bar and the message (announced
// politely to screen readers). When it finishes, offer a link to the result instead of reloading the page on its
// own, so nobody loses their place. Without JavaScript the "Check progress" link does the same job.
const box = document.getElementById("selection-running");
if (box) {
  const bar = document.getElementById("selection-progress");
  const status = document.getElementById("selection-status");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        bar.value = Math.round((data.fraction || 0) * 100);
        bar.textContent = `${bar.value}%`;
        if (data.status !== "queued") {
          status.textContent = `${box.dataset.doneText} `;
          const link = document.createElement("a");
          link.className = "govuk-link";
          link.href = window.location.pathname;
          link.textContent = box.dataset.resultText;
          status.appendChild(link);
          return;
        }
        if (data.message) {
          status.textContent = data.message;
        }
      }
    } catch (error) {
      // A dropped connection: try again on the next tick.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
