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
// Front-channel logout: once every application's logout iframe has loaded (or after 5 s), go on
// to <a data-continue-after-frames>; without script, the person presses it.
for (const link of document.querySelectorAll('[data-continue-after-frames]')) {
  const frames = [...document.querySelectorAll('iframe[data-frontchannel-logout]')];
  let waiting = frames.length;
  const go = () => window.location.replace(link.href);
  const timer = setTimeout(go, 5000);
  const done = () => {
    waiting -= 1;
    if (waiting <= 0) {
      clearTimeout(timer);
      go();
    }
  };
  // The frames get their address only now, so that no load can finish before it is listened for.
  for (const frame of frames) {
    frame.addEventListener('load', done, { once: true });
    frame.src = frame.dataset.src;
  }
  if (waiting === 0) done();
}
// Forms that submit themselves (a sign-out the application asked for with a valid id_token_hint);
// without script, the person presses their button.
for (const form of document.querySelectorAll('form[data-autosubmit]')) form.submit();
