// Prints the one closing line CI reads, from jest's own counts: "jest: N passed, M failed".
class SummaryLineReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = SummaryLineReporter;
