// The ImageFolder reader: root/<class>/<image>, images in nested folders of a class belong to
// it, images directly in root are unlabelled. Folders are listed with opendir/readdir by bytes
// rather than through QDir, so that nothing is lost without a word: a name that is not valid
// UTF-8 (which QString cannot hold), a symbolic link loop, a FIFO, socket or device, an
// unreadable folder, a symbolic link to a folder below a class (not followed, so that no walk can
// loop) and an image in a format that is not read (a .gif, .heic, ...) are each listed in
// Dataset::skipped with the reason. Other files (README.txt, Thumbs.db) are not images: passed over.

#include "imageheader.h"
#include "imagejobs.h"
#include "sizelimits.h"
#include "regularfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <sys/stat.h>

namespace labelscope {

namespace {

/// One entry of a folder that a reader may use.
struct FolderEntry {
    QString path;
    bool folder = false;   ///< a folder (or a link to one); else an image file
    bool viaLink = false;  ///< reached through a symbolic link
};

/// Lists the entries of one folder by bytes. Hidden entries (".name") are left out, as files
/// that are neither images nor folders; every entry that cannot be used is reported in
/// `skipped`. Entries come back sorted by path (code-unit order, the same on every platform).
class FolderLister
{
public:
    explicit FolderLister(std::vector<SkippedItem> *skipped) : m_skipped(skipped) {}

    std::vector<FolderEntry> list(const QString &dir)
    {
        std::vector<FolderEntry> entries;
        const QByteArray dirBytes = QFile::encodeName(dir);
        DIR *d = ::opendir(dirBytes.constData());
        if (!d) {
            skip(dir, QStringLiteral("cannot read folder: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
            return entries;
        }
        while (const dirent *e = ::readdir(d)) {
            const QByteArray name(e->d_name);
            if (name.startsWith('.'))
                continue; // ".", "..", hidden files and folders
            const QByteArray full = dirBytes + '/' + name;
            struct stat link;
            if (::lstat(full.constData(), &link) != 0)
                continue; // removed while we list
            if (!isValidUtf8(name)) {
                // QString cannot represent the name, so no later step could open the file.
                if (S_ISDIR(link.st_mode) || S_ISLNK(link.st_mode) || !S_ISREG(link.st_mode)
                    || hasImageExtension(QString::fromLatin1(name)))
                    skip(dir + QLatin1Char('/') + escapedBytes(name),
                         QStringLiteral("the name is not valid UTF-8 (bytes shown as \\xNN): not read; rename it"));
                continue;
            }
            const QString path = dir + QLatin1Char('/') + QFile::decodeName(name);
            const bool isLink = S_ISLNK(link.st_mode);
            struct stat st = link;
            if (isLink && ::stat(full.constData(), &st) != 0) {
                const int err = errno;
                if (err == ELOOP)
                    skip(path, QStringLiteral("a symbolic link loop: not read"));
                else if (err == ENOENT) {
                    if (hasImageExtension(path))
                        skip(path, QStringLiteral("a broken symbolic link (its target does not exist)"));
                } else {
                    skip(path, QStringLiteral("cannot follow the symbolic link: %1")
                                   .arg(QString::fromLocal8Bit(std::strerror(err))));
                }
                continue;
            }
            if (S_ISDIR(st.st_mode))
                entries.push_back({path, true, isLink});
            else if (S_ISREG(st.st_mode)) {
                if (hasImageExtension(path))
                    entries.push_back({path, false, isLink});
                else if (const QString format = unreadImageFormat(path); !format.isEmpty())
                    skip(path, unreadFormatReason(format));
            } else {
                skip(path, notRegularFileReason(path));
            }
        }
        ::closedir(d);
        std::sort(entries.begin(), entries.end(),
                  [](const FolderEntry &a, const FolderEntry &b) { return a.path < b.path; });
        return entries;
    }

    /// Image files under `dir` (recursively), sorted by path. Real subfolders are walked;
    /// a symbolic link to a folder is reported, not followed (a link can lead back up).
    QStringList imagesUnder(const QString &dir)
    {
        QStringList files;
        collect(dir, &files);
        std::sort(files.begin(), files.end());
        return files;
    }

private:
    void collect(const QString &dir, QStringList *files)
    {
        for (const FolderEntry &e : list(dir)) {
            if (!e.folder)
                files->append(e.path);
            else if (e.viaLink)
                skip(e.path, QStringLiteral("a symbolic link to a folder inside a class: not followed"));
            else
                collect(e.path, files);
        }
    }

    void skip(const QString &path, const QString &reason) { m_skipped->push_back({path, QString(), reason}); }

    std::vector<SkippedItem> *m_skipped;
};

} // namespace

LoadResult readImageFolder(const QString &root, const LoadOptions &options)
{
    LoadResult result;
    Dataset &ds = result.dataset;
    ds.spec = root;
    const QFileInfo rootInfo(root);
    if (!rootInfo.isDir()) {
        result.error = QStringLiteral("%1: no such folder").arg(root);
        return result;
    }
    const QString rootPath = QDir::cleanPath(rootInfo.absoluteFilePath());

    FolderLister lister(&ds.skipped);
    std::vector<ImageJob> jobs;
    std::vector<SkippedItem> origins;
    std::vector<ImageJob> unlabelled;
    for (const FolderEntry &e : lister.list(rootPath)) {
        if (!e.folder) {
            unlabelled.push_back({e.path, -1, QString(), QString()});
            continue;
        }
        const QStringList files = lister.imagesUnder(e.path);
        if (files.isEmpty())
            continue; // not a class: nothing in it to read
        if (ds.classes.size() >= kMaxClasses) {
            result.error = QStringLiteral("%1: more than %2 class folders with images (the cap on classes); "
                                          "%3 is one too many")
                               .arg(rootPath).arg(kMaxClasses).arg(e.path);
            return result;
        }
        const int label = int(ds.classes.size());
        ds.classes << QFileInfo(e.path).fileName();
        origins.push_back({e.path, QString(), QString()});
        for (const QString &file : files)
            jobs.push_back({file, label, QString(), QString()});
    }
    jobs.insert(jobs.end(), unlabelled.begin(), unlabelled.end());

    readImageJobs(jobs, QStringLiteral("folder"), rootPath, options, origins, result);
    return result;
}

} // namespace labelscope
