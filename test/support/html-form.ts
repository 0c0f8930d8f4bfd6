import { parse } from 'node-html-parser';
import type { Browser, Page } from './browser.ts';

/**
 * The fields a person's browser posts for a form as the page shows it: text inputs, checked boxes
 * and radios, textareas and the selected option of each select (the first when none is marked).
 */
export function fieldsOf(page: Page, selector: string): Array<[string, string]> {
  const form = parse(page.body).querySelector(selector);
  if (!form) throw new Error(`no form ${selector} on ${page.url}`);
  const fields: Array<[string, string]> = [];
  for (const el of form.querySelectorAll('input, textarea, select')) {
    const name = el.getAttribute('name');
    if (!name) continue;
    const tag = el.tagName.toLowerCase();
    const type = el.getAttribute('type') ?? 'text';
    if (tag === 'textarea') fields.push([name, el.textContent]);
    else if (tag === 'select') {
      const options = el.querySelectorAll('option');
      const chosen = options.find((o) => o.hasAttribute('selected')) ?? options[0];
      fields.push([name, chosen?.getAttribute('value') ?? '']);
    } else if (type === 'checkbox' || type === 'radio') {
      if (el.hasAttribute('checked')) fields.push([name, el.getAttribute('value') ?? 'on']);
    } else if (type !== 'submit') fields.push([name, el.getAttribute('value') ?? '']);
  }
  return fields;
}

/**
 * Posts the form as shown, with `changes` applied: a string replaces every value of that name,
 * a list gives a field several values (checkboxes), `null` unchecks or empties it.
 */
export function submitAsShown(
  browser: Browser,
  page: Page,
  selector: string,
  changes: Record<string, string | string[] | null> = {},
  submitter?: [string, string],
): Promise<Page> {
  const form = parse(page.body).querySelector(selector);
  const body = new URLSearchParams(fieldsOf(page, selector).filter(([name]) => !(name in changes)));
  for (const [name, value] of Object.entries(changes)) {
    for (const v of value === null ? [] : Array.isArray(value) ? value : [value]) body.append(name, v);
  }
  if (submitter) body.append(...submitter);
  const action = new URL(form?.getAttribute('action') ?? page.url, page.url).toString();
  return browser.request(action, {
    method: 'POST',
    body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
