// Small comforts on Gatehouse's pages; every page works without them.
// Show-password buttons: <button data-toggle-password="ID"> next to the password input ID.
for (const button of document.querySelectorAll('[data-toggle-password]')) {
  const input = document.getElementById(button.dataset.togglePassword);
  if (!input) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(show));
    button.textContent = show ? button.dataset.hideLabel : button.dataset.showLabel;
  });
}
// Copy buttons: <button data-copy="ID"> copies the text of element ID.
for (const button of document.querySelectorAll('[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(source.innerText.trim());
    const status = document.getElementById(button.dataset.copyStatus);
    if (status) status.textContent = button.dataset.copiedLabel;
  });
}
// Download buttons: <button data-download="ID" data-filename="F"> saves the text of element ID.
for (const button of document.querySelectorAll('[data-download]')) {
  const source = document.getElementById(button.dataset.download);
  if (!source) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    const blob = new Blob([`${source.innerText.trim()}\n`], { type: 'text/plain' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = button.dataset.filename || 'recovery-codes.txt';
    link.click();
    URL.revokeObjectURL(link.href);
  });
}
