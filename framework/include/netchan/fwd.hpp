#pragma once

// Forward declarations of netchan's public types, for headers that only name them.

#include <cstdint>

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
struct directories;
class exporter;
struct export_options;
struct export_stats;
struct exporter_options;
class importer;
struct importer_options;
struct import_stats;
struct error_event;
template <class T>
struct chan_ref;
enum class dir : std::uint8_t;

} // namespace netchan
