import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsUnstorableText } from '../../src/db/unstorable-text.ts';
import { emailDomain, isAllowedEmailDomain } from '../../src/external-logins/email-domain.ts';
import { depthOf, MAX_BODY_DEPTH } from '../../src/http/body.ts';
import { isCleanUrl } from '../../src/http/edge.ts';
import { auditableIp } from '../../src/notifications/audit-store.ts';
import { judge } from '../../src/rate-limits/rate-limits.ts';

/** Property-based tests (fast-check) of the request validators of issue 10: none throws, none lets through what it must not. */
describe('request validators, for any input', () => {
  it('isCleanUrl: refuses exactly the URLs whose query decodes to NUL or is not UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const url = `/path?x=${encodeURIComponent(text)}`;
        expect(isCleanUrl(url)).toBe(!text.includes('\0'));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        const escaped = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        const decoded = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(isCleanUrl(`/a/${escaped}`)).toBe(valid && !decoded.includes('\0'));
      }),
    );
  });

  it('containsUnstorableText and depthOf never throw, however deep the value', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 6 }), fc.integer({ min: 0, max: 40_000 }), (value, depth) => {
        let nested: unknown = value;
        for (let i = 0; i < depth; i += 1) nested = [nested];
        expect(() => containsUnstorableText(nested)).not.toThrow();
        expect(depthOf(nested)).toBeGreaterThanOrEqual(Math.min(depth, MAX_BODY_DEPTH + 1));
      }),
      { numRuns: 30 },
    );
  });

  it('containsUnstorableText finds a NUL or a lone surrogate wherever it hides', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom('\0', '\ud800', '\udfff'),
        fc.constantFrom<Array<(s: string) => unknown>>(
          (s) => s,
          (s) => [1, s],
          (s) => ({ a: { b: [s] } }),
          (s) => ({ [s]: 1 }),
        ),
        (text, bad, wrap) => {
          expect(containsUnstorableText(wrap(text + bad))).toBe(true);
          expect(containsUnstorableText(wrap(text.replaceAll('\0', '')))).toBe(
            !text.replaceAll('\0', '').isWellFormed(),
          );
        },
      ),
    );
  });

  it('emailDomain: one @ gives the domain, any other count gives none', () => {
    const part = fc.stringMatching(/^[a-z0-9.-]{1,20}$/);
    fc.assert(
      fc.property(part, part, part, (local, domain, extra) => {
        expect(emailDomain(`${local}@${domain}`)).toBe(domain.replace(/\.$/, ''));
        expect(emailDomain(`${local}@${domain}@${extra}`)).toBeUndefined();
        expect(isAllowedEmailDomain(`${local}@${domain}@${extra}`, [domain])).toBe(false);
      }),
    );
  });

  it('auditableIp: only a valid IP address of at most 64 characters reaches the audit column', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 80 })), (candidate) => {
        const stored = auditableIp(candidate);
        if (stored !== null) {
          expect(stored.length).toBeLessThanOrEqual(64);
          expect(stored).toMatch(/^[0-9a-f:.]+$/i);
        }
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(auditableIp(ip)).toBe(ip);
      }),
    );
  });

  it('judge: refuses only over the limit, and then always asks to wait at least a second', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 600, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 600 }),
        (previous, current, elapsedSeconds, limit, windowSeconds) => {
          const verdict = judge({ previous, current, elapsedSeconds }, { limit, windowSeconds });
          expect(verdict.allowed).toBe(verdict.estimate <= limit);
          if (!verdict.allowed) {
            expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            expect(verdict.retryAfterSeconds).toBeLessThanOrEqual(2 * windowSeconds + 1);
          }
        },
      ),
    );
  });
});
