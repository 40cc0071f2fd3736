// Keyboard shortcuts for the coding screen. The page works without this file: it is a normal form.
// 1-9 tick or untick the code with that number; n saves and moves on to the next contribution.
// Single-key shortcuts can get in the way of speech input and screen readers (WCAG 2.1.4), so the script adds a
// tick box that turns them off; the choice is remembered in this browser.
const form = document.getElementById("coding-form");
if (form) {
  const STORE = "byconsent-coding-shortcuts";
  const boxes = Array.from(form.querySelectorAll('input[type="checkbox"][name="codes"]'));
  const wrapper = document.createElement("div");
  wrapper.className = "govuk-checkboxes govuk-checkboxes--small govuk-!-margin-bottom-4";
  const item = document.createElement("div");
  item.className = "govuk-checkboxes__item";
  const toggle = document.createElement("input");
  toggle.type = "checkbox";
  toggle.className = "govuk-checkboxes__input";
  toggle.id = "shortcuts-toggle";
  const label = document.createElement("label");
  label.className = "govuk-label govuk-checkboxes__label";
  label.htmlFor = toggle.id;
  label.textContent = form.dataset.shortcutsLabel || "Use keyboard shortcuts";
  item.append(toggle, label);
  wrapper.append(item);
  form.parentNode.insertBefore(wrapper, form);
  let enabled = true;
  try {
    enabled = window.localStorage.getItem(STORE) !== "off";
  } catch (error) {
    enabled = true;
  }
  toggle.checked = enabled;
  toggle.addEventListener("change", () => {
    enabled = toggle.checked;
    try {
      window.localStorage.setItem(STORE, enabled ? "on" : "off");
    } catch (error) {
      // Storage may be blocked; the choice then lasts for this page only.
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!enabled || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
                   (target.tagName === "INPUT" && target.type === "text"))) return;
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
