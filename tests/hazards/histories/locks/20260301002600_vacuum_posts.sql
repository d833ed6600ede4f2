VACUUM "Post";
