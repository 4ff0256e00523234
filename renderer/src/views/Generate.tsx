import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';

export function Generate() {
  return (
    <Page title="Generate" subtitle="Text-to-image with Stable Diffusion, optionally with a preference LoRA.">
      <EmptyState title="No generation model installed">
        Generating needs a Stable Diffusion checkpoint. Add one on the Models page.
      </EmptyState>
    </Page>
  );
}
