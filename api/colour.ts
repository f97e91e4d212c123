/**
 * WCAG 2.x colour contrast for the branding's primary colour: it must carry
 * white text (buttons, the top bar), read as text on white and on its own soft
 * tint (links, selected rows) at AA's 4.5:1. The SPA's preview runs the same checks.
 */

export const AA_TEXT = 4.5;

const HEX = /^#[0-9a-f]{6}$/;

export const isHexColour = (v: string): boolean => HEX.test(v);

function channels(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

const toHex = (c: number[]): string =>
  `#${c
    .map((v) =>
      Math.round(Math.min(255, Math.max(0, v)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** `weight` of `hex` over white: the soft tint behind selected and highlighted things. */
export const tint = (hex: string, weight: number): string => toHex(channels(hex).map((c) => 255 - (255 - c) * weight));

/** Darker for hover. */
export const shade = (hex: string, factor: number): string => toHex(channels(hex).map((c) => c * factor));

export interface ContrastCheck {
  label: string;
  ratio: number;
  ok: boolean;
}

/** Every pairing the screens use the primary colour in, with its ratio (rounded down to 2 decimals). */
export function primaryContrast(hex: string): ContrastCheck[] {
  const pairs: Array<[string, string, string]> = [
    ['White text on the colour', '#ffffff', hex],
    ['The colour as text on white', hex, '#ffffff'],
    ['The colour as text on its light tint', hex, tint(hex, 0.1)],
  ];
  return pairs.map(([label, fg, bg]) => {
    const ratio = Math.floor(contrastRatio(fg, bg) * 100) / 100;
    return { label, ratio, ok: ratio >= AA_TEXT };
  });
}
