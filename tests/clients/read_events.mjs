// Reads iCalendar texts with Mozilla's ical.js (Thunderbird's parser) and prints, for each,
// every VEVENT's UID and its start and end as Unix seconds, the way that client places them.
// Input on stdin: a JSON list of iCalendar texts. Output on stdout: a JSON list, one entry per
// text: {"events": [{"uid", "start", "end"}]} or {"error": "..."}. One process for many texts.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function read(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  return calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      start: event.startDate.toUnixTime(),
      end: event.endDate.toUnixTime(),
    };
  });
}

const texts = JSON.parse(readFileSync(0, "utf8"));
const results = texts.map((text) => {
  try {
    return { events: read(text) };
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
});
process.stdout.write(JSON.stringify(results));
