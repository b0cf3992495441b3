// A confirmation before a destructive action, in the page's own <dialog id="confirm-dialog">
// (never window.confirm: it blocks the page and cannot be styled or read by tests).
// Forms with data-confirm="question" ask it before they submit; "{choice}" in the question is
// replaced by the label of the form's selected option (select[data-confirm-choice]).

export function confirmDialog(question, yes = "Yes") {
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector("[data-role=question]").textContent = question;
  dialog.querySelector("[data-role=yes]").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

function bindForm(form) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.confirmed === "1") return;
    event.preventDefault();
    const select = form.querySelector("select[data-confirm-choice]");
    const choice = select ? select.options[select.selectedIndex].textContent : "";
    const question = form.dataset.confirm.replaceAll("{choice}", choice);
    const button = form.querySelector("button[type=submit]");
    if (!(await confirmDialog(question, button.dataset.yes || "Yes"))) return;
    form.dataset.confirmed = "1";
    button.disabled = true;
    form.requestSubmit();
  });
}

for (const form of document.querySelectorAll("form[data-confirm]")) bindForm(form);
