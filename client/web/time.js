/* How times and durations are written on every page. Clock times are always shown in the meeting's time zone
   (``data-timezone`` on <body>, see context.js), whatever the zone of the reader's device, with Intl.DateTimeFormat.
   Durations (speaking time, expected wait) have no zone. */
import { meetingTimeZone } from "./context.js";
import { t, tn, uiLocale } from "./i18n.js";

const STYLES = {
  // Every clock time says its zone (the meeting's), in the reader's language.
  datetime: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  short: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },  // questions, handovers (moderator page)
  medium: { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" },  // records, audit logs
};
// The reader's own regional variant when it is of the interface language (en-GB writes 14:05, en-US 2:05 PM).
const FORMAT_LOCALE = (navigator.languages || []).find(function (tag) {
  return tag.split("-")[0].toLowerCase() === uiLocale;
}) || uiLocale;
const formats = new Map();

function formatter(style) {
  const zone = meetingTimeZone();
  const key = style + "|" + (zone || "");
  if (!formats.has(key)) {
    const options = Object.assign({}, STYLES[style] || STYLES.datetime, { timeZone: zone });
    formats.set(key, new Intl.DateTimeFormat(FORMAT_LOCALE, options));
  }
  return formats.get(key);
}

/** A moment (milliseconds since the epoch) as text in the meeting's zone; "" for none. */
export function formatTime(ms, style) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return "";
  return formatter(style || "datetime").format(new Date(Number(ms)));
}

/** A <time> element for a moment: machine-readable ``datetime``, readable text in the meeting's zone. */
export function timeElement(ms, style) {
  const el = document.createElement("time");
  el.dataset.ms = String(ms);
  el.dateTime = new Date(Number(ms)).toISOString();
  el.textContent = formatTime(ms, style);
  return el;
}

/** Rewrite every server-rendered <time data-ms> under ``root`` (the server writes raw milliseconds). */
export function formatTimes(root) {
  (root || document).querySelectorAll("time[data-ms]").forEach(function (el) {
    const ms = Number(el.dataset.ms);
    if (!Number.isFinite(ms)) return;
    el.dateTime = new Date(ms).toISOString();
    el.textContent = formatTime(ms, "datetime");
  });
}

/** A duration as "3:07" (minutes and seconds, never negative). */
export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return m + ":" + String(s % 60).padStart(2, "0");
}

/** An expected wait in words ("under a minute", "about 6 minutes"); "" when unknown. */
export function waitText(ms) {
  if (ms === null || ms === undefined) return "";
  const minutes = Math.round(ms / 60000);
  return minutes < 1 ? t("under a minute") : tn("about {n} minute", "about {n} minutes", minutes);
}
