// The ImageFolder reader: root/<class>/<image>, images in nested folders of a class belong to
// it, images directly in root are unlabelled; or root/<split>/<class>/<image> when every folder
// with images is named as a split (train, test, val, ...; see splitOfName in imagejobs.h); a
// classes.txt in Labelscope's export format (folder<TAB>class name) gives the class names and
// their order; a root that only wraps one such folder is read as that folder.
//
// Folders are listed with opendir/readdir by bytes rather than through QDir, so that nothing is
// lost without a word: a name that is not valid UTF-8 (which QString cannot hold), a symbolic
// link loop, a FIFO, socket or device, an unreadable folder, a symbolic link to a folder below a
// class (not followed, so that no walk can loop) and an image in a format that is not read (a
// .gif, .jxl, ...) are each listed in Dataset::skipped with the reason. Other files
// (README.txt, Thumbs.db) are not images: passed over.

#include "imageheader.h"
#include "imagejobs.h"
#include "regularfile.h"
#include "result.h"
#include "sizelimits.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

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

/// A folder at the top of an ImageFolder root, read a level deep.
struct TopFolder {
    struct Subfolder {
        QString path, name;
        QStringList images; ///< under it, recursively, sorted by path
    };
    QString path, name;
    QStringList loose;                ///< images directly in it, sorted by path
    std::vector<Subfolder> subfolders; ///< those with images, sorted by path
    bool hasImages() const { return !loose.isEmpty() || !subfolders.empty(); }
    /// Every image under it, sorted by path: the folder read as one class.
    QStringList allImages() const
    {
        QStringList all = loose;
        for (const Subfolder &s : subfolders)
            all += s.images;
        std::sort(all.begin(), all.end());
        return all;
    }
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

    /// One folder read a level deep: the images directly in it, and each real subfolder with
    /// the images under it (recursively; subfolders without images left out).
    TopFolder readTop(const FolderEntry &folder)
    {
        TopFolder top;
        top.path = folder.path;
        top.name = QFileInfo(folder.path).fileName();
        for (const FolderEntry &e : list(folder.path)) {
            if (!e.folder) {
                top.loose.append(e.path);
            } else if (e.viaLink) {
                skip(e.path, QStringLiteral("a symbolic link to a folder inside a class or split folder: not followed"));
            } else if (QStringList images = imagesUnder(e.path); !images.isEmpty()) {
                top.subfolders.push_back({e.path, QFileInfo(e.path).fileName(), images});
            }
        }
        return top;
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

/// Folder → class name pairs from ROOT/classes.txt (classesTxt) in Labelscope's export format
/// (a line "folder<TAB>class name" per class, in label order). A classes.txt in another format
/// (other datasets ship their own) is not used, and listed in `skipped` saying so; one that
/// names a folder or a class twice is an error.
Result<std::vector<std::pair<QString, QString>>> folderClassesTxt(const QString &root,
                                                                  std::vector<SkippedItem> *skipped)
{
    using R = Result<std::vector<std::pair<QString, QString>>>;
    const Result<QStringList> lines = classesTxt(QDir(root));
    if (!lines)
        return R::failure(lines.error());
    const QString path = root + QStringLiteral("/classes.txt");
    std::vector<std::pair<QString, QString>> pairs;
    QSet<QString> folders, names;
    for (const QString &line : lines.value()) {
        const qsizetype tab = line.indexOf(QLatin1Char('\t'));
        if (tab <= 0) {
            skipped->push_back({path, QString(),
                                QStringLiteral("not used: \"%1\" is not Labelscope's \"folder<TAB>class name\", so "
                                               "the class names are the folder names").arg(line)});
            return std::vector<std::pair<QString, QString>>();
        }
        const QString folder = line.left(tab), name = line.mid(tab + 1).trimmed();
        if (folders.contains(folder))
            return R::failure(QStringLiteral("%1: folder \"%2\" is listed twice").arg(path, folder));
        if (names.contains(name))
            return R::failure(QStringLiteral("%1: class \"%2\" is listed twice").arg(path, name));
        folders.insert(folder);
        names.insert(name);
        pairs.emplace_back(folder, name);
    }
    return pairs;
}

/// The folder ROOT only wraps, as archives unpack (root/<name>/<class>/<image> or
/// root/<name>/<split>/<class>/<image>), or "" when ROOT is the dataset itself: root holds one
/// folder (no image, no classes.txt), not a split, and that folder holds only folders — two or
/// more, a split, or one that holds only folders itself (a wrapper inside the wrapper). Shallow
/// listings only; what listing root reports goes to ATROOT (the deeper ones are read again).
QString wrappedFolder(const QString &rootPath, std::vector<SkippedItem> *atRoot)
{
    const auto onlyFolders = [](const std::vector<FolderEntry> &entries) {
        return !entries.empty()
               && std::all_of(entries.begin(), entries.end(), [](const FolderEntry &e) { return e.folder; });
    };
    const auto name = [](const FolderEntry &e) { return QFileInfo(e.path).fileName(); };
    const std::vector<FolderEntry> top = FolderLister(atRoot).list(rootPath);
    if (top.size() != 1 || !top[0].folder || !splitOfName(name(top[0])).isEmpty()
        || QFileInfo::exists(rootPath + QStringLiteral("/classes.txt")))
        return QString();
    std::vector<SkippedItem> deeper; // listed again by the read of the inner folder
    FolderLister lister(&deeper);
    const std::vector<FolderEntry> inside = lister.list(top[0].path);
    if (!onlyFolders(inside))
        return QString();
    if (inside.size() >= 2 || !splitOfName(name(inside[0])).isEmpty() || onlyFolders(lister.list(inside[0].path)))
        return top[0].path;
    return QString();
}

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
    std::vector<SkippedItem> atRoot; // what listing root itself reports, kept when it is a wrapper
    if (const QString inner = wrappedFolder(rootPath, &atRoot); !inner.isEmpty()) {
        LoadResult wrapped = readImageFolder(inner, options);
        wrapped.dataset.skipped.insert(wrapped.dataset.skipped.begin(), atRoot.begin(), atRoot.end());
        wrapped.dataset.spec = root;
        return wrapped;
    }

    FolderLister lister(&ds.skipped);
    std::vector<TopFolder> tops;
    QStringList rootImages;
    for (const FolderEntry &e : lister.list(rootPath)) {
        if (!e.folder)
            rootImages.append(e.path);
        else if (TopFolder top = lister.readTop(e); top.hasImages())
            tops.push_back(std::move(top));
    }
    // root/<split>/<class>/<image> when every folder with images is named as a split.
    const bool splitLayout = !tops.empty() && std::all_of(tops.begin(), tops.end(), [](const TopFolder &t) {
        return !splitOfName(t.name).isEmpty();
    });

    // Class folders by name, each with the folder it was first seen in (its origin).
    std::vector<std::pair<QString, QString>> classFolders; // (folder name, first path)
    {
        std::map<QString, QString> seen;
        for (const TopFolder &t : tops) {
            if (!splitLayout)
                seen.emplace(t.name, t.path);
            else
                for (const TopFolder::Subfolder &s : t.subfolders)
                    seen.emplace(s.name, s.path);
        }
        classFolders.assign(seen.begin(), seen.end()); // code-unit order of the names
    }
    const Result<std::vector<std::pair<QString, QString>>> listed = folderClassesTxt(rootPath, &ds.skipped);
    if (!listed) {
        result.error = listed.error();
        return result;
    }
    QHash<QString, int> labelOfFolder;
    std::vector<SkippedItem> origins;
    const auto addClass = [&](const QString &folder, const QString &name, const SkippedItem &origin) {
        if (ds.classes.size() >= kMaxClasses) {
            result.error = QStringLiteral("%1: more than %2 class folders with images (the cap on classes); "
                                          "%3 is one too many").arg(rootPath).arg(kMaxClasses).arg(origin.file);
            return false;
        }
        labelOfFolder.insert(folder, int(ds.classes.size()));
        ds.classes << name;
        origins.push_back(origin);
        return true;
    };
    // classes.txt's classes first, in its order (even those without a folder: label order holds);
    // then the folders it does not name.
    for (const auto &[folder, name] : listed.value())
        if (!addClass(folder, name, {rootPath + QStringLiteral("/classes.txt"), QString(), QString()}))
            return result;
    for (const auto &[folder, path] : classFolders)
        if (!labelOfFolder.contains(folder) && !addClass(folder, folder, {path, QString(), QString()}))
            return result;

    std::vector<ImageJob> jobs;
    const auto add = [](std::vector<ImageJob> *to, const QStringList &files, int label, const QString &split) {
        for (const QString &file : files)
            to->push_back({file, label, split, QString()});
    };
    if (!splitLayout) {
        for (const TopFolder &t : tops)
            add(&jobs, t.allImages(), labelOfFolder.value(t.name), QString());
    } else {
        // Train first, then the held-out folders; images loose in a split folder are unlabelled.
        std::stable_sort(tops.begin(), tops.end(), [](const TopFolder &a, const TopFolder &b) {
            return splitOfName(a.name) == QLatin1String("train") && splitOfName(b.name) != QLatin1String("train");
        });
        for (const TopFolder &t : tops) {
            const QString split = splitOfName(t.name);
            for (const TopFolder::Subfolder &s : t.subfolders)
                add(&jobs, s.images, labelOfFolder.value(s.name), split);
            add(&jobs, t.loose, -1, split);
        }
    }
    add(&jobs, rootImages, -1, QString());

    readImageJobs(jobs, QStringLiteral("folder"), rootPath, options, origins, result);
    return result;
}

} // namespace labelscope
