/**
 * The renderer's one message catalogue (en.ts, de.ts) behind i18next. The language comes from the OS
 * (navigator.language: Electron passes the OS locale, a browser its own) unless the officer chose one in Settings;
 * that choice is kept in this window's localStorage under LANGUAGE_STORAGE_KEY (not a secret).
 *
 * `t` is typed on the catalogue's keys, so a missing key is a compile error. Components call it while rendering;
 * App subscribes to language changes (useTranslation) and re-renders the whole tree. Errors that come from main
 * (CustodianError message and hint) are shown as main sends them, in English.
 */
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { de } from './de.js';
import { en } from './en.js';

export type MessageKey = Extract<keyof typeof en, string>;
export type Language = 'en' | 'de';
export const LANGUAGES: readonly Language[] = ['en', 'de'];
export const LANGUAGE_STORAGE_KEY = 'custodian.language';

/** The officer's choice from Settings, or undefined to follow the OS. */
export function storedLanguage(): Language | undefined {
  try {
    const value = window.localStorage.getItem(LANGUAGE_STORAGE_KEY);
    return value === 'en' || value === 'de' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The OS (or browser) language, if it is one the catalogue has; English otherwise. */
export function systemLanguage(): Language {
  const wanted = typeof navigator === 'undefined' ? [] : [...(navigator.languages ?? []), navigator.language];
  for (const tag of wanted) {
    const base = (tag ?? '').toLowerCase().split('-')[0];
    if (base === 'de' || base === 'en') return base;
  }
  return 'en';
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, de: { translation: de } },
  lng: storedLanguage() ?? systemLanguage(),
  fallbackLng: 'en',
  // Keys are flat ("screen.text"): no nesting and no namespaces in them.
  keySeparator: false,
  nsSeparator: false,
  // React escapes what it renders.
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
});

/** The text for `key` in the current language, with {{name}} placeholders filled from `values`. */
export function t(key: MessageKey, values?: Record<string, string | number>): string {
  return i18next.t(key, values ?? {});
}

/** Sets the language; `undefined` goes back to following the OS. */
export function chooseLanguage(language: Language | undefined): void {
  try {
    if (language) window.localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
    else window.localStorage.removeItem(LANGUAGE_STORAGE_KEY);
  } catch {
    // No storage (a locked-down profile): the choice lasts until the window closes.
  }
  void i18next.changeLanguage(language ?? systemLanguage());
}

export function currentLanguage(): Language {
  return i18next.language === 'de' ? 'de' : 'en';
}
