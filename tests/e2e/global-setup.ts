import { generateFixtures } from '../fixtures/generate.ts';

export default async function globalSetup() {
  await generateFixtures();
}
