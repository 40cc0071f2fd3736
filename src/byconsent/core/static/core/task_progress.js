// Updates a task's progress bar in place every two seconds; reloads once when the task ends to show its outcome.
const panel = document.getElementById("task-progress-panel");
const running = (status) => status === "queued" || status === "running";
if (panel && running(panel.dataset.status)) {
  const bar = document.getElementById("task-progress");
  const text = document.getElementById("task-status");
  const poll = async () => {
    try {
      const response = await fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const state = await response.json();
      bar.value = state.percent;
      bar.textContent = `${state.percent}%`;
      if (state.message) text.textContent = state.message;
      if (!running(state.status)) { window.location.reload(); return; }
    } catch (error) {
      // A network blip: keep trying; the "Check progress" link still works.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
