/**
 * The window's background in each OS colour scheme: the --bg of src-renderer/styles.css (light, and the
 * prefers-color-scheme: dark block). Electron paints it before the page loads, so a dark desktop gets no white
 * flash. test/unit/theme.test.ts keeps the two in step.
 */
export const WINDOW_BACKGROUND = { light: '#f6f7f9', dark: '#0f141b' } as const;
