import { domainToASCII } from 'node:url';
import { type Wording, wording } from '../i18n/wording.ts';

/*
 * The rules for an account's email address and group names. The command line, the admin API, the
 * admin console and the user manager all ask these functions, so that what one accepts the others
 * accept too. Each answers the problem in one sentence, or undefined when the value is fine.
 */

/** Characters a local part may not hold unquoted (RFC 5322 specials, whitespace, controls). */
const LOCAL_FORBIDDEN = /[\s"(),:;<>@[\\\]\p{Cc}]/u;

/**
 * An address as people type it, internationalised ones included (RFC 6531: `jürgen@bücher.example`,
 * `用户@例子.广告`): one `@`, a local part of at most 64 characters without specials or stray dots,
 * and a domain of at least two labels that converts to ASCII (IDNA) and ends in a name, not a number.
 */
export function emailProblem(address: string): string | undefined {
  const value = address.normalize('NFC');
  if (value.length > 320) return 'The email address is too long.';
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 1 || !domain) return 'Enter an email address such as name@example.com.';
  if ([...local].length > 64 || LOCAL_FORBIDDEN.test(local) || /^\.|\.\.|\.$/.test(local)) {
    return 'The part before the @ is not valid in an email address.';
  }
  if (!domainIsValid(domain)) return 'The part after the @ is not a valid domain name.';
  return undefined;
}

function domainIsValid(domain: string): boolean {
  const ascii = domainToASCII(domain);
  if (!ascii || ascii.length > 253) return false;
  const labels = ascii.split('.');
  const tld = labels.at(-1) ?? '';
  return (
    labels.length >= 2 &&
    labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l)) &&
    /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i.test(tld)
  );
}

/** The stored form: trimmed and NFC, so that the same address typed twice is one address. */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC');
}

/** A group name travels in tokens (`groups` claim) and scripts compare it: no spaces nor punctuation. */
const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._:/-]{0,63}$/u;

export const GROUP_NAME_RULE =
  'letters, digits and . _ : / - only, starting with a letter or digit, at most 64 characters';

export function groupNameProblem(name: string): string | undefined {
  return groupNameWording(name)?.message;
}

function groupNameWording(name: string): Wording | undefined {
  // The catalogue's sentence spells GROUP_NAME_RULE out in each language.
  return GROUP_NAME.test(name) ? undefined : wording('user.badGroupName', { name });
}

/** The first bad name among `groups`, as a sentence; undefined when all are fine. */
export function groupsProblem(groups: readonly string[]): Wording | undefined {
  for (const group of groups) {
    const problem = groupNameWording(group);
    if (problem) return problem;
  }
  return undefined;
}
