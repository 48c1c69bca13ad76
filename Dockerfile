# The image of docker-compose.yml: the server, the CLI and the sweep worker (one image, the
# command picks the process). Dashboard built in; the ML extras (python3) are not included.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
RUN mkdir -p /var/lib/tradewind /data && chown -R node:node /var/lib/tradewind
USER node
EXPOSE 8000 8080
CMD ["node", "bin/tradewind.js", "start", "--host", "0.0.0.0", "--port", "8000"]
