// Keyboard shortcuts for the coding screen. The page works without this file: it is a normal form.
// 1-9 tick or untick the code with that number; n saves and moves on to the next contribution.
const form = document.getElementById("coding-form");
if (form) {
  const boxes = Array.from(form.querySelectorAll('input[type="checkbox"][name="codes"]'));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"))) return;
    if (/^[1-9]$/.test(event.key)) {
      const box = boxes[Number(event.key) - 1];
      if (box) {
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
        event.preventDefault();
      }
    } else if (event.key === "n") {
      event.preventDefault();
      document.getElementById("save-button").click();
    }
  });
}
