// Test-wide defaults. bcrypt at cost 4 keeps password hashing out of the test time.
process.env.BCRYPT_COST ??= '4'
