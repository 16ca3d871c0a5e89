/** Renderers: interchangeable sinks of the executor's event stream, chosen by `--progress`. */
export { chooseRenderer, PROGRESS_MODES, type ProgressMode, type RenderTarget } from './choose.js';
export { plainRenderer, type TextWriter } from './plain.js';
export { jsonRenderer } from './json.js';
export { ttyRenderer, type TtyTarget } from './tty.js';
