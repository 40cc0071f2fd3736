// Autosave for questionnaire pages: a few seconds after the person stops typing or changes an answer, the page's
// valid answers are saved to their draft, and a polite live region says so. Without JavaScript every
// "Save and continue" and "Save and come back later" still saves; this only saves more often.
const DELAY_MS = 3000;

for (const form of document.querySelectorAll("form[data-autosave-url]")) {
  const status = document.getElementById(form.dataset.autosaveStatus);
  let timer = null;
  let lastSent = "";

  const save = async () => {
    const data = new FormData(form);
    for (const [name, value] of Array.from(data.entries())) {
      if (value instanceof File) data.delete(name);  // files are saved with the page, not in the background
    }
    const snapshot = new URLSearchParams(data).toString();
    if (snapshot === lastSent) return;
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") || "" },
      });
      if (response.ok) {
        lastSent = snapshot;
        if (status) status.textContent = status.dataset.savedText + " " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      }
    } catch (error) {
      // Offline or the server is unreachable: nothing is lost, the answers are still on the page.
      if (status) status.textContent = status.dataset.offlineText;
    }
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}
