/** Report renderers (pure, strings out) and the IO helpers writeReport / appendStepSummary / loadResults. */
export { renderMarkdownReport, renderStepSummary, renderGatesTable, renderLatencyTable, renderCacheSection, renderSchedulingSection } from './markdown.js';
export type { MarkdownOptions } from './markdown.js';
export { renderCharts, CHART_FILES, spectrumX } from './charts.js';
export { renderLineChart } from './svg.js';
export { renderTerminalSummary, renderGateTable } from './terminal.js';
export type { TerminalOptions } from './terminal.js';
export { renderJUnit } from './junit.js';
export { renderCompareMarkdown, renderCompareTerminal } from './compare.js';
export { evaluationFor } from './model.js';
export { appendStepSummary } from './github.js';
export { writeReport, writeReportFile } from './write.js';
export type { WriteReportOptions, WrittenReport } from './write.js';
export { parseResults, loadResults, resultsProblems } from './results-file.js';
