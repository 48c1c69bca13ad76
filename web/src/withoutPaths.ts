// Its own module: pages without charts use it without pulling the Backtest page (and the chart
// library) into the first load.
/** The server's words without its file system: an absolute path becomes its file name. */
export const withoutPaths = (message: string): string => message.replace(/(^|[\s'"(])\/(?:[^\s'"/:;,()]+\/)+([^\s'"/:;,()]+)/g, '$1$2');
