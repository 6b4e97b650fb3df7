/**
 * Real headless Chromium driven by playwright-core, for the report pages. The browser is, in order:
 * `PERPCARRY_CHROMIUM` if set, Debian's /usr/bin/chromium if installed (`.ci/run` installs it), else
 * the binary shipped inside the npm package `@sparticuz/chromium` (unpacked to /tmp on first use), so
 * `npm test` needs nothing installed by hand (`PERPCARRY_CHROMIUM=packaged` forces the packaged one). `inspectPage` opens a file:// URL, collects console
 * errors and page errors, and reads back what the page's renderer exposes (`window.__perpcarry`):
 * every uPlot chart, its data lengths and whether its canvas has non-background pixels.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless browser on a machine with no outside network (see the env notes). */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

/** The system browser if present, else the one inside @sparticuz/chromium. */
async function resolveChromium(): Promise<{ path: string; args: string[] }> {
  const forced = process.env['PERPCARRY_CHROMIUM'];
  if (forced === 'packaged') return packagedChromium();
  if (forced) {
    if (!existsSync(forced)) throw new Error(`PERPCARRY_CHROMIUM=${forced}: no such file`);
    return { path: forced, args: FLAGS };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, args: FLAGS };
  return packagedChromium();
}

/** The binary shipped inside @sparticuz/chromium (`PERPCARRY_CHROMIUM=packaged` forces it). */
async function packagedChromium(): Promise<{ path: string; args: string[] }> {
  const packaged = (await import('@sparticuz/chromium')).default;
  const path = await packaged.executablePath();
  // --single-process (meant for AWS Lambda) ends the whole browser when a page closes.
  const args = packaged.args.filter((a) => a !== '--single-process' && a !== '--no-zygote');
  return { path, args: [...new Set([...args, ...FLAGS])] };
}

export async function launchChromium(): Promise<Browser> {
  const { path, args } = await resolveChromium();
  try {
    return await chromium.launch({ executablePath: path, args });
  } catch (e) {
    throw new Error(`could not start Chromium at ${path} (set PERPCARRY_CHROMIUM, or apt-get install -y chromium): ${String(e)}`, { cause: e });
  }
}

/** What a rendered chart looks like from inside the page. */
export interface ChartProbe {
  id: string;
  /** Length of uPlot's data arrays: [x, series1, …]. */
  lengths: number[];
  /** Non-null points across all series. */
  points: number;
  /** Canvas pixels that are not fully transparent/white. */
  inkPixels: number;
  /** Ink that disappears when every data series is hidden (the plotted data itself). */
  seriesInkPixels: number;
  width: number;
  height: number;
  /** The x axis' rendered tick labels (uPlot's `axes[0]._values`). */
  xTicks: string[];
  /** The first x value (uPlot seconds) and how the legend writes it. */
  x0: number;
  x0Label: string;
  /**
   * Scenario shocks drawn on the chart: label and range as given (UnixMs, or ms since start on an
   * elapsed axis), and where the band's colour was found on the canvas row of its ribbon, converted
   * back to the same axis through the chart's x scale (null: not visible, e.g. under a later band).
   */
  bands: { label: string; color: string; fromMs: number; toMs: number; seenFromMs: number | null; seenToMs: number | null }[];
  /** Legend lines under the chart's title naming its bands. */
  bandLegend: string[];
  /** The x scale's range (uPlot seconds) and the plot area's width in canvas px. */
  xScaleMin: number;
  xScaleMax: number;
  plotWidthPx: number;
  /** Labels of the data series, in order. */
  seriesLabels: string[];
}

export interface PageProbe {
  title: string;
  charts: ChartProbe[];
  /** Chart containers in the HTML (each should have produced a chart). */
  chartDivs: number;
  renderErrors: string[];
  consoleErrors: string[];
  /** Requests to anything but file:// or data: (the page must work offline). */
  externalRequests: string[];
  /** Text content of the page body. */
  text: string;
  /** Cells of every `td.best` (compare page). */
  bestCells: string[];
  /** Body rows (cell texts) of every table with an id, by id. */
  tables: Record<string, string[][]>;
}

const PROBE_JS = `(async () => {
  const st = window.__perpcarry;
  const settle = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const ink = (plot) => {
    const canvas = plot.ctx.canvas;
    const img = plot.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < img.length; i += 4) if (img[i + 3] > 0 && !(img[i] > 250 && img[i + 1] > 250 && img[i + 2] > 250)) n++;
    return n;
  };
  // Where a band's colour is on its ribbon row: first and last matching canvas px, as axis values.
  const seen = (plot, b) => {
    const ctx = plot.ctx, dpr = devicePixelRatio, bb = plot.bbox;
    const row = ctx.getImageData(Math.floor(bb.left), Math.round(b.ribbonY), Math.ceil(bb.width), 1).data;
    const want = [1, 3, 5].map((k) => parseInt(b.color.slice(k, k + 2), 16));
    let first = -1, last = -1;
    for (let i = 0; i < row.length / 4; i++) {
      const d = Math.abs(row[4 * i] - want[0]) + Math.abs(row[4 * i + 1] - want[1]) + Math.abs(row[4 * i + 2] - want[2]);
      if (d <= 12 && row[4 * i + 3] === 255) { if (first < 0) first = i; last = i; }
    }
    if (first < 0) return { seenFromMs: null, seenToMs: null };
    const toMs = (px) => plot.posToVal((Math.floor(bb.left) + px - bb.left) / dpr, 'x') * 1000;
    // Pixel i covers [i, i + 1): the band starts at the left edge of its first pixel, ends at the right edge of its last.
    return { seenFromMs: toMs(first), seenToMs: toMs(last + 1) };
  };
  const charts = [];
  for (const c of st.charts) {
    const all = ink(c.plot);
    // Hide every data series: what remains is axes and grid. The difference is the data's ink.
    for (let i = 1; i < c.plot.series.length; i++) c.plot.setSeries(i, { show: false });
    await settle();
    const bare = ink(c.plot);
    for (let i = 1; i < c.plot.series.length; i++) c.plot.setSeries(i, { show: true });
    await settle();
    const canvas = c.plot.ctx.canvas;
    const xs = c.plot.data[0];
    charts.push({ id: c.id, lengths: c.plot.data.map((a) => a.length), points: c.points, inkPixels: all, seriesInkPixels: all - bare, width: canvas.width, height: canvas.height,
      xTicks: (c.plot.axes[0]._values || []).map(String), x0: xs[0], x0Label: c.plot.series[0].value(c.plot, xs[0]),
      bands: (c.bands || []).map((b) => Object.assign({ label: b.label, color: b.color, fromMs: b.fromMs, toMs: b.toMs }, seen(c.plot, b))),
      xScaleMin: c.plot.scales.x.min, xScaleMax: c.plot.scales.x.max, plotWidthPx: c.plot.bbox.width,
      seriesLabels: c.plot.series.slice(1).map((x) => String(x.label)),
      bandLegend: Array.from(document.querySelectorAll('#chart-' + c.id + ' ul.band-legend li')).map((li) => li.textContent) });
  }
  return {
    title: document.title,
    charts,
    chartDivs: document.querySelectorAll('div.chart').length,
    renderErrors: st.errors,
    text: document.body.innerText,
    tables: Object.fromEntries(Array.from(document.querySelectorAll('table[id]')).map((t) => [t.id, Array.from(t.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.children).map((td) => td.textContent))])),
    bestCells: Array.from(document.querySelectorAll('td.best')).map((td) => {
      const tr = td.parentElement;
      return tr.firstElementChild.textContent + '|' + Array.from(tr.children).indexOf(td) + '|' + td.textContent;
    }),
  };
})()`;

/** Open `htmlPath`, wait for charts, probe them and save a full-page screenshot to `screenshotPath`. */
export async function inspectPage(browser: Browser, htmlPath: string, screenshotPath: string): Promise<PageProbe> {
  // A fixed locale: the packaged browser takes the process's (e.g. 'en-US@posix'), which Intl rejects.
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 }, locale: 'en-US' });
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('file:') && !u.startsWith('data:')) externalRequests.push(u);
  });
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  await page.waitForFunction('window.__perpcarry !== undefined', undefined, { timeout: 20_000 });
  // In-page code as a string: this project compiles without the DOM lib.
  const probe = await page.evaluate<Omit<PageProbe, 'consoleErrors' | 'externalRequests'>>(PROBE_JS);
  await page.screenshot({ path: screenshotPath, fullPage: true });
  await page.close();
  return { ...probe, consoleErrors, externalRequests };
}
