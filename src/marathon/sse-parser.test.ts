import { describe, expect, it } from "vitest";
import { createSseParser, SseFrameTooLargeError, type SseFrame } from "./sse-parser.js";

function parseChunks(chunks: (string | Uint8Array)[]): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = createSseParser((f) => frames.push(f));
  for (const c of chunks) parser.push(c);
  parser.end();
  return frames;
}

const attached = '{"remoteAddress":"10.0.0.7","eventType":"event_stream_attached","timestamp":"2026-01-01T00:00:00.000Z"}';
const success = '{"id":"d-1","eventType":"deployment_success","timestamp":"2026-01-01T00:00:01.000Z","plan":{"id":"d-1","steps":[],"version":"v"}}';
const marathonStream = `event: event_stream_attached\ndata: ${attached}\n\nevent: deployment_success\ndata: ${success}\n\n`;
const expected: SseFrame[] = [
  { event: "event_stream_attached", data: attached },
  { event: "deployment_success", data: success },
];

describe("SSE parser", () => {
  it("reads Marathon's frames", () => {
    expect(parseChunks([marathonStream])).toEqual(expected);
  });

  it("gives the same frames however the bytes are cut, including CRLF split between chunks", () => {
    for (const text of [marathonStream, marathonStream.replaceAll("\n", "\r\n"), marathonStream.replaceAll("\n", "\r")]) {
      for (let cut = 1; cut < text.length; cut++) {
        expect(parseChunks([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
      }
    }
  });

  it("handles a multi-byte character cut between chunks", () => {
    const bytes = new TextEncoder().encode('data: {"message":"Überlast ✓"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "Ü"
    expect(parseChunks([bytes.slice(0, cut), bytes.slice(cut)])).toEqual([{ event: "message", data: '{"message":"Überlast ✓"}' }]);
  });

  it("joins multi-line data, skips comments and keeps ids and retry", () => {
    const frames = parseChunks([": keep-alive\n", "id: 7\nevent: x\ndata: a\ndata:b\nretry: 1500\nunknown: y\n\n", "data\n\n"]);
    expect(frames).toEqual([
      { event: "x", data: "a\nb", id: "7", retry: 1500 },
      { event: "message", data: "", id: "7" },
    ]);
  });

  it("dispatches nothing for a block without data and drops an unterminated frame at the end", () => {
    expect(parseChunks(["event: lonely\n\n", "event: cut\ndata: half"])).toEqual([]);
  });

  it("a line that never ends is an error once it passes the bound, not a buffer that grows forever", () => {
    const frames: SseFrame[] = [];
    const parser = createSseParser((f) => frames.push(f), { maxFrameChars: 1000 });
    parser.push(marathonStream);
    expect(frames).toHaveLength(2);
    parser.push(`data: ${"x".repeat(600)}`);
    expect(() => parser.push("x".repeat(600))).toThrow(SseFrameTooLargeError);
  });

  it("many data lines that together pass the bound are an error too", () => {
    const parser = createSseParser(() => undefined, { maxFrameChars: 1000 });
    expect(() => {
      for (let i = 0; i < 20; i++) parser.push(`data: ${"y".repeat(99)}\n`);
    }).toThrow(/grew past 1000 characters/);
  });

  it("frames up to the bound pass", () => {
    const frames: SseFrame[] = [];
    const parser = createSseParser((f) => frames.push(f), { maxFrameChars: 1000 });
    for (let i = 0; i < 50; i++) parser.push(`event: e\ndata: ${"z".repeat(900)}\n\n`);
    expect(frames).toHaveLength(50);
  });
});
