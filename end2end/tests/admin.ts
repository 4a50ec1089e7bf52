import * as path from "node:path";

// The admin every test server starts with (REEL_ADMIN_USER/PASSWORD);
// `auth.setup.ts` signs in as them and every spec runs with that session.
export const ADMIN = { name: "admin", password: "e2e admin password" };
export const ADMIN_STATE = path.join(__dirname, "..", ".auth", "admin.json");
