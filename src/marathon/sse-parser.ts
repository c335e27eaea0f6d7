/**
 * A server-sent events parser (the WHATWG "event stream interpretation"),
 * pure and incremental: feed it chunks as they arrive, cut anywhere (inside a
 * line, between `\r` and `\n`, inside a multi-byte character), and it emits
 * one frame per blank-line-terminated block. Marathon sends
 * `event: <type>\ndata: <one-line JSON>\n\n`; the parser does not rely on that.
 */

/** One dispatched event. */
export interface SseFrame {
  /** The `event:` field, "message" when absent. */
  event: string;
  /** `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream, if any. */
  id?: string;
  /** A `retry:` value in this frame, if any. */
  retry?: number;
}

export interface SseParser {
  /** Feeds bytes or text; calls onFrame for every complete frame. Throws SseFrameTooLargeError past the bound. */
  push(chunk: Uint8Array | string): void;
  /** The stream ended: a frame without its blank line is dropped, as the spec says. */
  end(): void;
}

/** Default bound on one frame (a line, or a frame's data lines together), in characters. */
const DEFAULT_MAX_FRAME_CHARS = 16 * 1024 * 1024;

/**
 * A line or frame grew past the bound without ending: whatever sends it is not
 * Marathon (its frames are one line of JSON), and buffering on would let it take
 * all memory. The stream must be dropped; the parser is unusable after this.
 */
export class SseFrameTooLargeError extends Error {
  constructor(readonly maxChars: number) {
    super(`an event-stream frame grew past ${maxChars} characters without ending`);
    this.name = "SseFrameTooLargeError";
  }
}

/**
 * `maxFrameChars` bounds the memory one frame may take (default {@link DEFAULT_MAX_FRAME_CHARS}):
 * push throws SseFrameTooLargeError once a line or a frame's data passes it.
 */
export function createSseParser(onFrame: (frame: SseFrame) => void, options: { maxFrameChars?: number } = {}): SseParser {
  const maxChars = options.maxFrameChars ?? DEFAULT_MAX_FRAME_CHARS;
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  // A chunk that ended in "\r" may be followed by the "\n" of the same line break.
  let skipLeadingLf = false;
  let eventType = "";
  let dataLines: string[] = [];
  let dataChars = 0;
  let hasData = false;
  let lastId: string | undefined;
  let retry: number | undefined;

  const dispatch = () => {
    if (hasData) {
      const frame: SseFrame = { event: eventType || "message", data: dataLines.join("\n") };
      if (lastId !== undefined) frame.id = lastId;
      if (retry !== undefined) frame.retry = retry;
      onFrame(frame);
    }
    eventType = "";
    dataLines = [];
    dataChars = 0;
    hasData = false;
    retry = undefined;
  };

  const line = (text: string) => {
    if (text === "") {
      dispatch();
      return;
    }
    if (text.startsWith(":")) return; // comment / keep-alive
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        dataChars += value.length + 1;
        if (dataChars > maxChars) throw new SseFrameTooLargeError(maxChars);
        dataLines.push(value);
        hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  };

  const consume = (text: string) => {
    let start = 0;
    if (skipLeadingLf && text.startsWith("\n")) start = 1;
    skipLeadingLf = false;
    buffer += start === 0 ? text : text.slice(start);
    let from = 0;
    for (;;) {
      const cr = buffer.indexOf("\r", from);
      const lf = buffer.indexOf("\n", from);
      if (cr < 0 && lf < 0) break;
      const at = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      line(buffer.slice(from, at));
      if (buffer[at] === "\r") {
        if (at + 1 < buffer.length) {
          from = buffer[at + 1] === "\n" ? at + 2 : at + 1;
        } else {
          skipLeadingLf = true;
          from = at + 1;
        }
      } else {
        from = at + 1;
      }
    }
    buffer = buffer.slice(from);
    if (buffer.length > maxChars) throw new SseFrameTooLargeError(maxChars);
  };

  return {
    push(chunk) {
      consume(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      consume(decoder.decode());
      buffer = "";
      eventType = "";
      dataLines = [];
      dataChars = 0;
      hasData = false;
    },
  };
}
