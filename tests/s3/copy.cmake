# Server-side copy transfer tests (written with the copy transfer).
