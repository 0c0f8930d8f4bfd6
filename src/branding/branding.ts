import { extname } from 'node:path';
import type { BrandingSettings } from '../config/settings.ts';
import { palette } from './palette.ts';

/** What the page and email templates need to show the organisation's brand. */
export interface Brand {
  productName: string;
  /** Where the logo image is, for a page's `<img src>`; undefined without a logo. */
  logoSrc: string | undefined;
  /** The same as an absolute URL, for emails. */
  emailLogoSrc: string | undefined;
  supportContact: string | undefined;
  /** A `mailto:` or the URL itself, for a link to the support contact. */
  supportHref: string | undefined;
  /** Light-mode accent, for emails (which have no dark mode we can rely on). */
  accent: string;
}

export function logoPath(branding: BrandingSettings): string | undefined {
  return branding.logoFile ? `/assets/logo${extname(branding.logoFile).toLowerCase()}` : undefined;
}

export function brandFrom(branding: BrandingSettings, issuer: string): Brand {
  const contact = branding.supportContact;
  const local = logoPath(branding);
  return {
    productName: branding.productName,
    logoSrc: local ?? branding.logoUrl,
    // Emails are read far from the issuer, so they need an absolute address.
    emailLogoSrc: local ? `${issuer}${local}` : branding.logoUrl,
    supportContact: contact,
    supportHref: contact ? (/^https?:\/\//.test(contact) ? contact : `mailto:${contact}`) : undefined,
    accent: palette(branding.primaryColor).light.accent,
  };
}

/** `/assets/brand.css`: the primary colour as the stylesheet's accent variables. */
export function brandStylesheet(branding: BrandingSettings): string {
  const { light, dark } = palette(branding.primaryColor);
  return [
    `:root { --accent: ${light.accent}; --accent-ink: ${light.accentInk}; }`,
    '@media (prefers-color-scheme: dark) {',
    `  :root { --accent: ${dark.accent}; --accent-ink: ${dark.accentInk}; }`,
    '}',
    '',
  ].join('\n');
}

/** The origin a remote logo is loaded from, for the pages' content security policy. */
export function logoOrigin(branding: BrandingSettings): string | undefined {
  if (branding.logoFile || !branding.logoUrl) return undefined;
  return new URL(branding.logoUrl).origin;
}
