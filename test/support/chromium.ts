/**
 * Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the report
 * pages. `inspectPage` opens a file:// URL, collects console errors and page errors, and reads back
 * what the page's renderer exposes (`window.__perpcarry`): every uPlot chart, its data lengths and
 * whether its canvas has non-background pixels.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian installs Chromium (`.ci/run` installs it if missing). */
export const CHROMIUM_PATH = process.env['PERPCARRY_CHROMIUM'] ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
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
    charts.push({ id: c.id, lengths: c.plot.data.map((a) => a.length), points: c.points, inkPixels: all, seriesInkPixels: all - bare, width: canvas.width, height: canvas.height });
  }
  return {
    title: document.title,
    charts,
    chartDivs: document.querySelectorAll('div.chart').length,
    renderErrors: st.errors,
    text: document.body.innerText,
    bestCells: Array.from(document.querySelectorAll('td.best')).map((td) => {
      const tr = td.parentElement;
      return tr.firstElementChild.textContent + '|' + Array.from(tr.children).indexOf(td) + '|' + td.textContent;
    }),
  };
})()`;

/** Open `htmlPath`, wait for charts, probe them and save a full-page screenshot to `screenshotPath`. */
export async function inspectPage(browser: Browser, htmlPath: string, screenshotPath: string): Promise<PageProbe> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
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
  const probe = (await page.evaluate(PROBE_JS)) as Omit<PageProbe, 'consoleErrors' | 'externalRequests'>;
  await page.screenshot({ path: screenshotPath, fullPage: true });
  await page.close();
  return { ...probe, consoleErrors, externalRequests };
}
