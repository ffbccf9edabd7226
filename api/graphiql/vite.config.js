// Hashed file names under /graphiql/assets/: the server gives them a year's
// cache lifetime, and a new build gets new names.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/graphiql/',
  logLevel: 'error',
  build: {
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 8000,
  },
  worker: { format: 'es' },
});
