// "Round trip to the server": calls /api/generate and shows the x-request-id
// the server answered with next to the server's own log lines for it.
import { withContext } from 'mellea-context';

const LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export async function callServer(session = 'alice-chat') {
  // Runs in a scope too, so the page's own code could log with the session.
  return withContext({ sessionId: session }, async () => {
    const response = await fetch(`/api/generate?session=${encodeURIComponent(session)}&prompt=${encodeURIComponent('Hello from the web demo')}`);
    const body = await response.json();
    return { status: response.status, headerId: response.headers.get('x-request-id'), body };
  });
}

export function renderServerResult(out, { status, headerId, body }) {
  const lines = body.lines ?? [];
  const matching = lines.filter((line) => line.request_id === headerId).length;
  out.replaceChildren();
  out.dataset.requestId = headerId ?? '';
  out.dataset.lines = String(lines.length);
  out.dataset.matching = String(matching);

  const head = document.createElement('div');
  head.className = 'server-head';
  head.innerHTML = '<span class="muted">x-request-id</span>';
  const id = document.createElement('code');
  id.className = 'request-id';
  id.textContent = headerId ?? '(none)';
  const verdict = document.createElement('span');
  const allMatch = lines.length > 0 && matching === lines.length;
  verdict.className = `pill ${allMatch ? 'good' : 'bad'}`;
  verdict.textContent = allMatch
    ? `all ${lines.length} server lines carry this id`
    : `${matching} of ${lines.length} server lines carry this id (HTTP ${status})`;
  head.append(id, verdict);

  const list = document.createElement('ol');
  list.className = 'server-lines';
  for (const line of lines) {
    const item = document.createElement('li');
    const level = document.createElement('span');
    level.className = `level ${(LEVELS[line.level] ?? 'INFO').toLowerCase()}`;
    level.textContent = LEVELS[line.level] ?? String(line.level);
    const msg = document.createElement('span');
    msg.className = 'msg';
    msg.textContent = line.msg;
    const chips = document.createElement('span');
    chips.className = 'chips';
    for (const key of ['session_id', 'model_id', 'sampling_iteration', 'request_id']) {
      if (line[key] === undefined) continue;
      const chip = document.createElement('span');
      chip.className = `chip${key === 'request_id' && line[key] === headerId ? ' match' : ''}`;
      chip.textContent = `${key}=${key === 'request_id' ? `${String(line[key]).slice(0, 8)}…` : line[key]}`;
      chip.title = `${key}=${line[key]}`;
      chips.append(chip);
    }
    item.append(level, msg, chips);
    list.append(item);
  }
  out.append(head, list);
}
