// "Try a value": runs withContext with what the person typed and shows the
// exact error (code and message) or the context it made.
import { getCurrentContext, withContext } from 'mellea-context';

export const PRESETS = {
  unknown: { field: 'user_id', value: 'u-42', expect: 'ERR_MELLEA_UNKNOWN_FIELD' },
  newline: { field: 'session_id', value: 'abc\ninjected: true', expect: 'ERR_MELLEA_INVALID_VALUE' },
  long: { field: 'request_id', value: 'r'.repeat(300), expect: 'ERR_MELLEA_INVALID_VALUE' },
  surrogate: { field: 'model_id', value: 'granite\uD800', expect: 'ERR_MELLEA_INVALID_VALUE' },
  iteration: { field: 'sampling_iteration', value: '-1', expect: 'ERR_MELLEA_INVALID_VALUE' },
  valid: { field: 'sessionId', value: 'café-chat-7', expect: 'OK' },
};

// The input box cannot hold a newline or a lone surrogate, so presets keep
// their exact value here and the box shows it escaped.
let exactValue;

function shown(value) {
  return JSON.stringify(value).slice(1, -1);
}

/** Typed text -> the value to pass: integers for sampling_iteration. */
function valueFor(field, text) {
  if (/^(sampling_iteration|samplingIteration)$/.test(field) && /^-?\d+$/.test(text.trim())) return Number(text);
  return text;
}

export function attempt(field, value) {
  try {
    const context = withContext({ [field]: value }, () => getCurrentContext());
    return { code: 'OK', message: JSON.stringify(context) };
  } catch (error) {
    return { code: error.code ?? error.name, message: error.message };
  }
}

export function setupTryForm(root) {
  const form = root.querySelector('#try-form');
  const fieldInput = root.querySelector('#try-field');
  const valueInput = root.querySelector('#try-value');
  const out = root.querySelector('#try-result');

  function show(field, value) {
    const { code, message } = attempt(field, value);
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value).length : undefined;
    out.dataset.code = code;
    out.className = `result ${code === 'OK' ? 'ok' : 'error'}`;
    out.replaceChildren();
    const head = document.createElement('div');
    head.className = 'result-head';
    const badge = document.createElement('span');
    badge.className = 'code';
    badge.textContent = code;
    const call = document.createElement('code');
    const shownValue = typeof value === 'string' ? `'${shown(value).length > 40 ? `${shown(value).slice(0, 37)}…` : shown(value)}'` : String(value);
    call.textContent = `withContext({ ${field}: ${shownValue} }, …)${bytes === undefined ? '' : `  // ${bytes} UTF-8 bytes`}`;
    head.append(badge, call);
    const body = document.createElement('p');
    body.className = 'message';
    body.textContent = code === 'OK' ? `inside the scope, getCurrentContext() = ${message}` : message;
    out.append(head, body);
  }

  for (const button of root.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const preset = PRESETS[button.dataset.preset];
      fieldInput.value = preset.field;
      valueInput.value = shown(preset.value);
      exactValue = preset.value;
      show(preset.field, valueFor(preset.field, preset.value));
    });
  }
  valueInput.addEventListener('input', () => {
    exactValue = undefined;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const field = fieldInput.value.trim();
    show(field, valueFor(field, exactValue ?? valueInput.value));
  });
}
