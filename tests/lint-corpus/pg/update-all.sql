UPDATE users SET bio = '';
