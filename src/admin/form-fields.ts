import { z } from 'zod';

/** Form helpers: HTML forms send strings, lists one per line or separated by commas. */
export function listField(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(listField);
  if (typeof value !== 'string') return [];
  return value
    .split(/[\n,]/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A checkbox: present ("on") or absent. */
export const checkbox = z
  .union([z.string(), z.boolean()])
  .optional()
  .transform((v) => v === 'on' || v === 'true' || v === true);

export const optionalText = z
  .string()
  .trim()
  .max(4096)
  .optional()
  .transform((v) => (v ? v : undefined));

export const listText = z
  .union([z.string().max(20_000), z.array(z.string().max(2000)).max(100)])
  .optional()
  .transform(listField);
