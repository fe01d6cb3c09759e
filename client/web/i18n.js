/* The interface language in the browser. The server chose it (``<html lang>``) and serves its messages as JSON
   (``/i18n/<locale>.json``), built from the same gettext catalogues as the pages; this module loads them before
   any panel starts. ``t("Text {name}", {name: x})`` translates a message, ``tn(singular, plural, n, params)`` one
   with plural forms (picked with Intl.PluralRules; ``{n}`` is the number). Countries and languages are named with
   Intl.DisplayNames (CLDR, like the server's Babel). Untranslated messages stay in English. */

export const uiLocale = document.documentElement.lang || "en";

let catalogue = { plural_tags: ["one", "other"], messages: {} };
if (uiLocale !== "en") {
  try {
    const response = await fetch("/i18n/" + encodeURIComponent(uiLocale) + ".json", { credentials: "same-origin" });
    if (response.ok) catalogue = await response.json();
  } catch (err) {
    console.error(err);  // the page still works, in English
  }
}

const plurals = new Intl.PluralRules(uiLocale);
const numbers = new Intl.NumberFormat(uiLocale);
const regions = displayNames("region");
const languages = displayNames("language");

function displayNames(type) {
  try {
    return new Intl.DisplayNames([uiLocale], { type: type, fallback: "code" });
  } catch (err) {
    return null;
  }
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, function (whole, key) {
    return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole;
  });
}

/** A message in the interface language, with ``{name}`` placeholders filled from ``params``. */
export function t(message, params) {
  const found = catalogue.messages[message];
  return fill(typeof found === "string" && found ? found : message, params);
}

/** A message with plural forms for ``n`` (``{n}`` is the number as the reader writes it). */
export function tn(singular, plural, n, params) {
  const all = Object.assign({ n: numbers.format(n) }, params || {});
  const found = catalogue.messages[singular];
  if (Array.isArray(found)) {
    const index = catalogue.plural_tags.indexOf(plurals.select(n));
    return fill(found[index >= 0 && index < found.length ? index : found.length - 1], all);
  }
  return fill(n === 1 ? singular : plural, all);
}

/** A number as the reader writes it. */
export function formatNumber(n) {
  return numbers.format(n);
}

/** A country (ISO 3166-1 alpha-2 code) in the interface language; "" for none. */
export function countryName(code) {
  if (!code) return "";
  try {
    return regions ? regions.of(String(code).toUpperCase()) : code;
  } catch (err) {
    return code;
  }
}

/** A language (ISO 639 code) in the interface language. */
export function languageName(code) {
  if (!code) return "";
  try {
    return languages ? languages.of(code) : code;
  } catch (err) {
    return code;
  }
}
