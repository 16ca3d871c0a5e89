/**
 * Semantic colour tokens (`theme.tone.fail`, `theme.status.busy`), so components never name a
 * colour. Without colour (NO_COLOR, or not wanted) every token is undefined and Ink prints plain
 * text; selection and emphasis then rest on the marker, bold and inverse, which are not colour.
 */
import { createContext, useContext } from 'react';
import type { StatusTone, Tone } from './model.js';

export interface Theme {
  color: boolean;
  tone: Record<Tone, string | undefined>;
  status: Record<StatusTone, string | undefined>;
  /** Titles and the selection marker. */
  accent: string | undefined;
  /** A service's own colour in the merged logs (the same for it every time). */
  service(name: string): string | undefined;
}

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'redBright', 'cyanBright', 'yellowBright'] as const;

/** The theme with colour, or without. */
export function makeTheme(color: boolean): Theme {
  const c = (name: string): string | undefined => (color ? name : undefined);
  return {
    color,
    tone: { idle: c('gray'), busy: c('yellow'), ok: c('green'), fail: c('red') },
    status: { info: c('cyan'), busy: c('yellow'), ok: c('green'), error: c('red') },
    accent: c('cyan'),
    service: (name) => {
      if (!color) return undefined;
      let h = 0;
      for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      return PALETTE[h % PALETTE.length];
    },
  };
}

/** The theme components read; plain unless the dashboard provides a coloured one. */
export const ThemeContext = createContext<Theme>(makeTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
