/**
 * Turns the organisation's primary colour into accents that keep WCAG AA contrast (4.5:1) for
 * links and button labels, in light and in dark mode, whatever colour was configured.
 */
type Rgb = [number, number, number];

const LIGHT_SURFACE: Rgb = [0xff, 0xff, 0xff];
// The darkest and lightest backgrounds the dark theme puts text on (see public/gatehouse.css).
const DARK_SURFACE: Rgb = [0x16, 0x1b, 0x22];
const DARK_INK = '#0d1117';
const AA = 4.5;

export interface Palette {
  light: { accent: string; accentInk: string };
  dark: { accent: string; accentInk: string };
}

export function parseHex(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Mixes `colour` towards `target` in 4 % steps until it contrasts enough with `background`. */
function adjust(colour: Rgb, target: Rgb, background: Rgb): Rgb {
  let current = colour;
  for (let step = 1; contrast(current, background) < AA && step <= 25; step++) {
    const t = step * 0.04;
    current = colour.map((c, i) => c + ((target[i] ?? 0) - c) * t) as Rgb;
  }
  return current;
}

export function palette(primary: string): Palette {
  const rgb = parseHex(primary);
  return {
    light: { accent: toHex(adjust(rgb, [0, 0, 0], LIGHT_SURFACE)), accentInk: '#ffffff' },
    dark: { accent: toHex(adjust(rgb, [255, 255, 255], DARK_SURFACE)), accentInk: DARK_INK },
  };
}
