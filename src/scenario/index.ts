export { parseScenario, loadScenario, readMarket, resolveScenarioPath, listScenarios, scenariosDir, resolveSymbols, withSymbolCount, generatedSymbol, createMarket, SCENARIO_KEYS, GENERATE_DEFAULTS } from './scenario.js';
export type { Scenario, SymbolsSpec, GenerateSymbols } from './scenario.js';
export { generateLines, generateToFile } from './generate.js';
export type { GenerateOptions } from './generate.js';
