// Drives the gateway with the unmodified `openai` npm client and prints one JSON object with what
// came back; NodeOpenAiClientTest asserts on it. Environment: OPENAI_BASE_URL, OPENAI_API_KEY.
import OpenAI from 'openai';

const client = new OpenAI({ maxRetries: 0, timeout: 30_000 });
const chatParams = {
  model: 'auto',
  messages: [{ role: 'user', content: 'Tell me a story.' }],
  max_tokens: 12,
  temperature: 0,
};
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create(chatParams);
out.chat = {
  model: chat.model,
  content: chat.choices[0].message.content,
  finish_reason: chat.choices[0].finish_reason,
  usage: chat.usage,
};

const stream = await client.chat.completions.create({
  ...chatParams,
  stream: true,
  stream_options: { include_usage: true },
});
let text = '';
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) text += chunk.choices[0].delta.content ?? '';
  if (chunk.usage) usage = chunk.usage;
}
out.stream = { content: text, usage, chunks };

const completion = await client.completions.create({
  model: 'stories260k',
  prompt: 'Once upon a time',
  max_tokens: 26,
  temperature: 0,
});
out.completion = { text: completion.choices[0].text, usage: completion.usage };

let streamed = '';
for await (const chunk of await client.completions.create({
  model: 'stories260k',
  prompt: 'Once upon a time',
  max_tokens: 26,
  temperature: 0,
  stream: true,
})) {
  streamed += chunk.choices[0]?.text ?? '';
}
out.completionStream = { text: streamed };

try {
  await client.chat.completions.create({ ...chatParams, model: 'gpt-4o' });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, code: e.code, param: e.param, type: e.type };
}

console.log(JSON.stringify(out));
