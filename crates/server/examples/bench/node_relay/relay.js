#!/usr/bin/env node
// The Node.js yardstick of the benchmark: a minimal chat relay on the `ws`
// package that speaks just enough of Confab's protocol for the same load
// generator (POST /api/session, /ws with welcome, join, send -> ack to the
// sender and message to the room's other sockets). It stores nothing, checks
// nothing and never waits for a disk: what a chat costs with no durability.
//
// Usage: relay.js --listen 127.0.0.1:PORT [ignored arguments...]
'use strict';
const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const [host, port] = (arg('--listen') || '127.0.0.1:8080').split(':');

const users = new Map(); // token -> user
const rooms = new Map(); // name -> { seq, sockets: Set }
const room = (name) => {
  let r = rooms.get(name);
  if (!r) rooms.set(name, (r = { seq: 0, sockets: new Set() }));
  return r;
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return res.end('ok');
  if (req.method === 'POST' && req.url === '/api/session') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { name } = JSON.parse(body);
      const token = crypto.randomBytes(16).toString('hex');
      const user = { id: token.slice(0, 16), name, color: '#336699' };
      users.set(token, user);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token, user }));
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws, req) => {
  const token = (req.headers.authorization || '').replace(/^Bearer /, '');
  const user = users.get(token);
  if (!user) return ws.close(1008, 'unauthorized');
  const joined = new Set(['lobby']);
  room('lobby').sockets.add(ws);
  ws.send(JSON.stringify({ type: 'welcome', user, rooms: [] }));
  ws.on('message', (data) => {
    const msg = JSON.parse(data);
    if (msg.type === 'join') {
      const r = room(msg.room);
      r.sockets.add(ws);
      joined.add(msg.room);
      ws.send(JSON.stringify({
        type: 'joined', room: msg.room, members: [], members_total: r.sockets.size,
        messages: [], more: false, latest_seq: r.seq,
      }));
    } else if (msg.type === 'send') {
      const r = room(msg.room);
      const message = {
        id: crypto.randomUUID(), room: msg.room, seq: ++r.seq, from: user.name,
        text: msg.text, ts: new Date().toISOString(), attachment: null,
      };
      ws.send(JSON.stringify({ type: 'ack', client_id: msg.client_id, message }));
      // Serialized once, like Confab's frames.
      const frame = JSON.stringify({ type: 'message', message });
      for (const peer of r.sockets) if (peer !== ws) peer.send(frame);
    }
  });
  ws.on('close', () => {
    for (const name of joined) room(name).sockets.delete(ws);
  });
});
server.listen(Number(port), host);
