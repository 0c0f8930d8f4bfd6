/**
 * Turns the organisation's primary colour into accents that keep WCAG AA contrast (4.5:1) for
 * links and button labels, in light and in dark mode, whatever colour was configured.
 */
type Rgb = [number, number, number];

// Every background the accent is put on as text, per theme (see public/gatehouse.css): the card,
// the page around it, notices and alerts.
const LIGHT_BACKGROUNDS: Rgb[] = [
  [0xff, 0xff, 0xff],
  [0xf3, 0xf4, 0xf6],
  [0xee, 0xf6, 0xff],
  [0xfe, 0xf3, 0xf2],
];
const DARK_BACKGROUNDS: Rgb[] = [
  [0x16, 0x1b, 0x22],
  [0x0d, 0x11, 0x17],
  [0x0f, 0x25, 0x40],
  [0x2d, 0x14, 0x14],
];
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

/** Mixes `colour` towards `target` in 4 % steps until it contrasts enough with every background. */
function adjust(colour: Rgb, target: Rgb, backgrounds: Rgb[]): Rgb {
  let current = colour;
  const enough = () => backgrounds.every((b) => contrast(current, b) >= AA);
  for (let step = 1; !enough() && step <= 25; step++) {
    const t = step * 0.04;
    current = colour.map((c, i) => c + ((target[i] ?? 0) - c) * t) as Rgb;
  }
  return current;
}

export function palette(primary: string): Palette {
  const rgb = parseHex(primary);
  return {
    light: { accent: toHex(adjust(rgb, [0, 0, 0], LIGHT_BACKGROUNDS)), accentInk: '#ffffff' },
    dark: { accent: toHex(adjust(rgb, [255, 255, 255], DARK_BACKGROUNDS)), accentInk: DARK_INK },
  };
}
