import { createClient } from '@trellis/client';

const url = process.env.TRELLIS_URL ?? 'http://localhost:3000';
const email = `ada+${Date.now()}@example.com`;
const signUp = { email, password: 'correct horse battery staple', name: 'Ada' };
const { session } = await createClient({ url }).auth.signUp.mutate(signUp);

const trellis = createClient({ url, token: session.token });
const slug = `acme-${Date.now()}`;
const workspace = await trellis.workspaces.create.mutate({ name: 'Acme', slug });
const me = await trellis.auth.me.query();
console.log(`${me.user.name} is ${workspace.role} of ${me.workspaces[0]?.slug}`);
