"""Signed webhooks: admins register endpoints; events written with the change that causes them go out from workers."""
