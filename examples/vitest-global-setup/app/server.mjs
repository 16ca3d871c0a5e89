// The app under test: answers /greeting with its greeting, /health with ok.
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const server = http.createServer((req, res) => {
  const body = req.url === '/health' ? { ok: true } : { greeting: process.env.GREETING, path: req.url };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
server.listen(port, () => console.log(`app listening on :${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
