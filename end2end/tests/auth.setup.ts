import { expect, test as setup } from "@playwright/test";

import { ADMIN, ADMIN_STATE } from "./admin";
import { gotoHydrated } from "./helpers";

// Signs in as the admin through the sign-in page, as a person would, and
// keeps the session for every other spec.
setup("sign in as the admin", async ({ page }) => {
  await gotoHydrated(page, "/login?next=/");
  await page.getByTestId("sign-in-name").fill(ADMIN.name);
  await page.getByTestId("sign-in-password").fill("not the password");
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("sign-in-error")).toContainText("not right");
  await page.getByTestId("sign-in-password").fill(ADMIN.password);
  await page.getByTestId("sign-in-submit").click();
  await expect(page.getByTestId("account-link")).toHaveText(ADMIN.name);
  await expect(page).toHaveURL(/\/$/);
  await page.context().storageState({ path: ADMIN_STATE });
});
