// Shutdown of one API instance (the server closing, `serve` on SIGINT/SIGTERM, Electron's engine host on quit):
// the loaded scorers' background jobs are cancelled and awaited, their sessions closed, then the library.
import type { ApiServices } from './context';
import { closeLibraryAt } from './library-access';
import { ScorerService } from './scorer-service';

export async function closeApiServices(services: ApiServices): Promise<void> {
  await ScorerService.shutdown(services);
  closeLibraryAt(services.libraryDir);
}
