/* How times and durations are written on every page. Clock times are shown in the zone the reader chose: the
   meeting's (``data-timezone`` on <body>, see context.js) or their device's, remembered in the ``floorcast_tz``
   cookie (which the server reads too, so its pages agree). Every clock time says its zone, named the one way the
   server names it: the locale's GMT pattern from the page (``data-gmt-format``, CLDR through Babel) filled with
   the offset ("GMT+4", "UTC+5:30"). Durations (speaking time, expected wait) have no zone. */
import { gmtFormat, meetingTimeZone } from "./context.js";
import { t, tn, uiLocale } from "./i18n.js";

const COOKIE = "floorcast_tz";
const COOKIE_MAX_AGE = 365 * 24 * 3600;
const STYLES = {
  datetime: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" },
  short: { hour: "2-digit", minute: "2-digit" },  // questions, handovers (moderator page)
  medium: { hour: "2-digit", minute: "2-digit", second: "2-digit" },  // records, audit logs
};
// The reader's own regional variant when it is of the interface language (en-GB writes 14:05, en-US 2:05 PM).
const FORMAT_LOCALE = (navigator.languages || []).find(function (tag) {
  return tag.split("-")[0].toLowerCase() === uiLocale;
}) || uiLocale;
// Wall-clock fields in a fixed locale and calendar, to measure a zone's offset (never shown).
const FIELDS = { year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
  second: "numeric", hourCycle: "h23", calendar: "gregory", numberingSystem: "latn" };
const formats = new Map();

function cached(key, make) {
  if (!formats.has(key)) formats.set(key, make());
  return formats.get(key);
}

/** The zone of the reader's device (IANA name), or undefined when the browser does not say. */
export function readerTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch (err) {
    return undefined;
  }
}

/** Whether the reader chose to see times in their own zone (rather than the meeting's). */
export function ownTimeChosen() {
  return document.cookie.split(";").some(function (part) { return part.trim().indexOf(COOKIE + "=") === 0; });
}

/** Remember the reader's choice (their own zone, or the meeting's) for every page, the server's too. */
export function chooseOwnTime(own) {
  const zone = readerTimeZone();
  // IANA names are cookie-safe as they are ("America/Port-au-Prince", "Etc/GMT+5"): the server reads them raw.
  document.cookie = own && zone && /^[A-Za-z0-9/_+-]+$/.test(zone)
    ? COOKIE + "=" + zone + "; path=/; max-age=" + COOKIE_MAX_AGE + "; samesite=lax"
    : COOKIE + "=; path=/; max-age=0; samesite=lax";
}

/** The zone the page's times are shown in: the reader's own when chosen, else the meeting's. */
export function shownTimeZone() {
  return (ownTimeChosen() && readerTimeZone()) || meetingTimeZone() || readerTimeZone();
}

/** The offset from UTC of ``zone`` at the moment ``ms``, in minutes. */
function offsetMinutes(zone, ms) {
  const fields = cached("offset|" + zone, function () {
    return new Intl.DateTimeFormat("en-US", Object.assign({ timeZone: zone }, FIELDS));
  });
  const at = {};
  fields.formatToParts(new Date(ms)).forEach(function (p) { at[p.type] = Number(p.value); });
  const wall = Date.UTC(at.year, at.month - 1, at.day, at.hour, at.minute, at.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
}

/** ``zone`` at the moment ``ms`` (default: now) named as every page names it: "GMT+4", "UTC+5:30", "GMT". */
export function zoneName(zone, ms) {
  const minutes = offsetMinutes(zone, ms === undefined ? Date.now() : ms);
  const hours = Math.floor(Math.abs(minutes) / 60), rest = Math.abs(minutes) % 60;
  const offset = minutes === 0 ? "" : (minutes > 0 ? "+" : "-") + hours + (rest ? ":" + String(rest).padStart(2, "0") : "");
  return (gmtFormat() || "GMT{0}").replace("{0}", offset);
}

function formatter(style, zone) {
  return cached(style + "|" + (zone || ""), function () {
    return new Intl.DateTimeFormat(FORMAT_LOCALE, Object.assign({}, STYLES[style] || STYLES.datetime, { timeZone: zone }));
  });
}

/** A moment (milliseconds since the epoch) as text in the shown zone, the zone said; "" for none. */
export function formatTime(ms, style) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return "";
  const zone = shownTimeZone();
  const moment = new Date(Number(ms));
  return t("{time} ({zone})", { time: formatter(style || "datetime", zone).format(moment), zone: zoneName(zone, Number(ms)) });
}

/** A <time> element for a moment: machine-readable ``datetime``, readable text in the shown zone (``style`` is
    kept, so that the text is written again when the reader switches zones). */
export function timeElement(ms, style) {
  const el = document.createElement("time");
  el.dataset.ms = String(ms);
  if (style) el.dataset.style = style;
  el.dateTime = new Date(Number(ms)).toISOString();
  el.textContent = formatTime(ms, style);
  return el;
}

/** Rewrite every <time data-ms> under ``root`` (the server writes raw milliseconds) and every name of the shown
    zone (``data-zone-label``, ``data-zone-id``). */
export function formatTimes(root) {
  const scope = root || document;
  scope.querySelectorAll("time[data-ms]").forEach(function (el) {
    const ms = Number(el.dataset.ms);
    if (!Number.isFinite(ms)) return;
    el.dateTime = new Date(ms).toISOString();
    el.textContent = formatTime(ms, el.dataset.style || "datetime");
  });
  const zone = shownTimeZone();
  if (!zone) return;
  scope.querySelectorAll("[data-zone-label]").forEach(function (el) {
    const at = Number(el.dataset.ms);
    el.textContent = zoneName(zone, Number.isFinite(at) && el.dataset.ms ? at : undefined);
  });
  scope.querySelectorAll("[data-zone-id]").forEach(function (el) { el.textContent = zone; });
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
