/**
 * A reader that closes the pipe early (`mdcache … | head`) must not crash a run with an EPIPE stack trace: from
 * then on that stream's output is dropped, and the command still finishes, writes its report and exits with its
 * own code (a gate verdict is not lost because nobody read the table).
 */
export function tolerateClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = (() => true) as typeof stream.write;
  });
}
