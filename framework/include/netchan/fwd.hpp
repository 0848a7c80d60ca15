#pragma once

namespace netchan {

template <class T>
class chan;
class actor_group;
class error;
class closed_error;
class decode_error;
class directory_client;
class directory_error;
class directory_registrar;
class directory_server;
class directory_watch;
struct directory_entry;
struct directory_event;

} // namespace netchan
